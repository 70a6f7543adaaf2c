"""`dxq schedule`: the scheduler, cron and missed runs, liveness, outbox dispatch."""
