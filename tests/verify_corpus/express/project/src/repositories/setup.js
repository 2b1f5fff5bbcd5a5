const { sequelize } = require('../models');

/** Create the missing tables. */
function ready() {
  return sequelize.sync();
}

module.exports = { ready };
