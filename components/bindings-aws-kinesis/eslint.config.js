export { default } from '@mecha/eslint-config';
