const { DataTypes, Model } = require('sequelize');
const sequelize = require('../db');

const Book = sequelize.define(
  'Book',
  {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    isbn: { type: DataTypes.STRING(13), allowNull: false, unique: true },
    title: { type: DataTypes.STRING, allowNull: false },
    status: { type: DataTypes.ENUM('available', 'lost'), allowNull: false, defaultValue: 'available' },
  },
  { tableName: 'books' },
);

class Loan extends Model {}

Loan.init(
  {
    dueDate: { type: DataTypes.DATEONLY, allowNull: false },
  },
  { sequelize, modelName: 'Loan', tableName: 'loans' },
);

Book.hasMany(Loan, { as: 'loans', foreignKey: 'bookId' });
Loan.belongsTo(Book, { as: 'book', foreignKey: 'bookId' });

module.exports = { Book, Loan, sequelize };
