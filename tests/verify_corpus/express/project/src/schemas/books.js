const { z } = require('zod');

const BookCreate = z.object({
  isbn: z.string().regex(/^[0-9]{13}$/),
  title: z.string().min(1).max(200),
});

const LoanCreate = z.object({ bookId: z.number().int().positive() });

module.exports = { BookCreate, LoanCreate };
