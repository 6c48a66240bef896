import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `bindings.mysql` (components-contrib `bindings/mysql/metadata.yaml`). */
export const mysqlMetadata = defineMetadata({
  url: {
    type: 'string',
    required: true,
    sensitive: true,
    description:
      "The server in Go's DSN form `user:password@tcp(host:port)/database?param=value`. Understood parameters: `tls` (`true`, `false`, `skip-verify`, `custom` with `pemPath`; `preferred` connects in plain text), `timeout` (connect), `readTimeout` (each statement), `charset`, `collation`, `loc` (`UTC` or `Local`), `multiStatements`, `interpolateParams`, `clientFoundRows`, `columnsWithAlias`; Go-only options (`allowNativePasswords`, `parseTime`, …) are accepted and ignored; any other parameter is a session variable set on each connection (`time_zone=%27%2B00:00%27`).",
    example: 'user:password@tcp(localhost:3306)/dbname?allowNativePasswords=true',
  },
  pemPath: {
    type: 'string',
    description: 'Path to the CA certificate (PEM) the server certificate must chain to, for `tls=custom` in `url`; without a `tls` parameter it turns TLS on with this CA.',
    example: '/path/to/ca.pem',
  },
  maxIdleConns: { type: 'number', description: 'Most idle connections kept in the pool. Default 2.', example: '10' },
  maxOpenConns: { type: 'number', description: 'Most open connections. Default 10.', example: '10' },
  connMaxLifetime: { type: 'duration', description: 'A connection older than this is closed instead of reused. Default: no limit.', example: '12s' },
  connMaxIdleTime: { type: 'duration', description: 'A connection idle longer than this is closed instead of reused. Default: no limit.', example: '12s' },
});
