/**
 * GBNF for the JSON Schema `format`s the engine enforces (the contents between a string's quotes).
 */

/** Fixed-format strings: a subset of what ajv-formats accepts for each (days 01–28 are in every month). */
export const FORMATS: Readonly<Record<string, string>> = {
  date: '[0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] )',
  time: '( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,3} )? "Z"',
  "date-time":
    '[0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) "T" ' +
    '( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,3} )? "Z"',
  uuid: '[0-9a-f]{8} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{12}',
  email: '[a-z0-9]{1,32} "@" [a-z0-9]{1,32} ( "." [a-z]{2,8} ){1,2}',
  hostname: '[a-z0-9]{1,32} ( "." [a-z0-9]{1,32} ){0,3}',
  ipv4: 'octet "." octet "." octet "." octet'
}
/** The rule `ipv4` refers to. */
export const OCTET = '"25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9]? [0-9]'
