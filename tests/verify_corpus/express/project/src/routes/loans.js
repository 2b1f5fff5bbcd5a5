import { Router } from 'express';
import { LoanCreate } from '../schemas/books.js';
import { lend } from '../services/loans.js';

const loans = Router();

loans.route('/').post(async (req, res) => {
  const { bookId } = LoanCreate.parse(req.body);
  res.status(201).json(await lend(bookId));
});

export default loans;
