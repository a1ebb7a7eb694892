"""The CDK app: one construct per concern (storage, table, queues, functions, api, cdn,
monitoring, admin token), composed by stack.RilletStack from a StageConfig."""
