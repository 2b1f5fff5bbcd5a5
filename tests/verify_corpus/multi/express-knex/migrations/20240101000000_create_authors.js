exports.up = function up(knex) {
  return knex.schema.createTable('authors', (table) => {
    table.increments('id');
    table.string('name', 120).notNullable().unique();
  });
};

exports.down = function down(knex) {
  return knex.schema.dropTable('authors');
};
