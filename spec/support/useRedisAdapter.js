// Setup file of the jest project `redis`: every server the harness starts gets a Redis adapter.
process.env.CHSK_ADAPTER = 'redis';
