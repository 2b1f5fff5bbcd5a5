module.exports = {
  client: 'better-sqlite3',
  connection: { filename: process.env.DATABASE_URL || './notes.sqlite3' },
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
};
