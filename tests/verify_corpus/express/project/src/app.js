const express = require('express');
const books = require('./routes/books');
const { ready } = require('./repositories/setup');

const app = express();
app.use(express.json());
app.use('/books', books);
app.use('/loans', require('./routes/loans'));
app.get('/health', (req, res) => res.json({ ok: true }));

ready().then(() => app.listen(Number(process.env.PORT || 8000)));
