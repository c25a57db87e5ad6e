import { createApp } from './http/app';

const port = Number.parseInt(process.env.PORT ?? '3000', 10);
const server = createApp({ version: '0.1.0' }).listen(port, '127.0.0.1', () => {
  process.stdout.write(`FSC Handoff listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close());
