"""The celery executor (`executor: {kind: celery}`): the scheduler enqueues one task per
firing, `dxq worker` processes execute them through the one run path."""
