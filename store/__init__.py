"""The results database: tables, migrations, the write API and the dashboard's read queries.
The only code that writes SQL to it."""
