"""What is checked: result models, check specs and the engines that evaluate them.

`checks` is pure logic over the integrated systems (through `datasources`); it knows nothing
of the results store, of alerts or of Streamlit. Every engine returns a `CheckResult` and never
raises for a finding about the data or about the monitoring: failures are data.
"""
