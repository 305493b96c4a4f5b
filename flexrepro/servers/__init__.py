"""Server models written as event handlers on a `flexrepro.runtime` event loop: memcached,
nginx, the paper's Figure-4 example server and a server-speaks-first (greeting) server.
Wiring a server to its benchmark client and measuring it is `flexrepro.testbed`'s job."""
