const express = require('express');
const notes = require('./routes/notes');

const app = express();
app.use(express.json());
app.use('/api/notes', notes);

app.listen(Number(process.env.PORT || 8000));
