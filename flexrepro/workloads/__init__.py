"""Load generators and the testbed: memslap, ApacheBench, httperf, the 1 Gbps link, the client machine.

Clients talk to a server only through the socket contract of `flexrepro.kernel.net`.
"""
