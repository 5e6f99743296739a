"""The live demo: local_serving and a traffic driver as child processes, continuing the history.

`world` is the simulated world the driver lives in (what the v3 canary does to
tablet amounts and to serve-a's memory), `traffic` builds requests and labels,
`driver` is the driver process, `supervisor` starts and stops both children by
PID, and `continuity` picks a history that ends where the live traffic begins.
"""
