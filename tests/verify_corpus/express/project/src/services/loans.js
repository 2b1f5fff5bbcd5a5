const DAYS = 21;

async function lend(bookId) {
  // Loaded lazily: the repositories pull in the database.
  const loans = await import('../repositories/loans.js');
  const due = new Date(Date.now() + DAYS * 86400000).toISOString().slice(0, 10);
  return loans.create({ bookId, dueDate: due });
}

module.exports = { lend };
