"""The application: config/, run/, daemon/, commands/, suites/, api/, the dxq command."""
