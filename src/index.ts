/**
 * `tutorboard`: the server, for embedding it in a Node program instead of running the CLI.
 * The tutor channel client is `tutorboard/client`.
 */
export { TutorboardServer, type ServerOptions } from './server.ts';
export { loadConfig, type Config } from './config.ts';
export { Authenticator, type AuthenticatorOptions, type Principal } from './auth.ts';
export { roles, type Role } from './roles.ts';
export { ConfigError } from './errors.ts';
export { version } from './version.ts';
