const express = require('express');
const service = require('../services/books');
const { BookCreate } = require('../schemas/books');

const router = express.Router();

router.get('/', async (req, res) => {
  res.json(await service.list());
});

router.post('/', async (req, res) => {
  const fields = BookCreate.parse(req.body);
  res.status(201).json(await service.add(fields));
});

router.get('/:bookId', async (req, res) => {
  res.json(await service.get(Number(req.params.bookId)));
});

module.exports = router;
