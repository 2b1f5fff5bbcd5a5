// The one Sequelize instance. Storage: $DATABASE_STORAGE (a SQLite file).
const { Sequelize } = require('sequelize');

const sequelize = new Sequelize({
  dialect: 'sqlite',
  storage: process.env.DATABASE_STORAGE || 'library.sqlite3',
  logging: false,
});

module.exports = sequelize;
