const { Loan } = require('../models');

async function create(fields) {
  return Loan.create(fields);
}

module.exports = { create };
