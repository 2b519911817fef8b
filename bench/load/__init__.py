"""The load test (`make bench-load`, bench/bench_load.py): simulated customers and agents through
the load balancer, 1 vs 2 Rasa nodes, kill -9 under load, the long-conversation curve.

Two processes, so that the load generator's own CPU is measured apart and gevent stays out of
the rest: the conductor (main.py, plain Python: starts the set-ups through scripts/topology.py,
samples every program's CPU and memory, kills programs on schedule, checks the bridge's store)
and the swarm (swarm.py, a Locust runner used as a library: the users of users.py speaking the
widget's and the console's WebSocket protocol, wire.py, and logging what they saw, record.py).
"""
