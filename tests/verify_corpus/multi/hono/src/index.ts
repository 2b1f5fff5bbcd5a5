import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import notes from './routes/notes';

const app = new Hono().basePath('/api');
app.route('/notes', notes);

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8000) });
