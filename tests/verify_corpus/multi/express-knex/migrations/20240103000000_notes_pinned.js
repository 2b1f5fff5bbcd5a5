exports.up = (knex) =>
  knex.schema.alterTable('notes', (table) => {
    table.boolean('pinned').notNullable().defaultTo(false);
  });

exports.down = (knex) =>
  knex.schema.alterTable('notes', (table) => {
    table.dropColumn('pinned');
  });
