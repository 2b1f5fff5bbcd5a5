exports.up = (knex) =>
  knex.schema.createTable('notes', (table) => {
    table.increments('id');
    table.string('title', 200).notNullable();
    table.text('body');
    table.integer('author_id').unsigned().references('authors.id');
    table.timestamps(true, true);
  });

exports.down = (knex) => knex.schema.dropTable('notes');
