const Joi = require('joi');

const NoteIn = Joi.object({ title: Joi.string().min(1).max(200).required(), body: Joi.string().allow(null) });

module.exports = { NoteIn };
