/**
 * The roles a token can carry. Shared by the server (auth) and the client protocol types, so it
 * imports nothing: `tutorboard/client` must type-check in a browser project without Node types.
 */
export const roles = ['tutor', 'student', 'observer', 'admin'] as const;
export type Role = (typeof roles)[number];
