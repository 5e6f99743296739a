"""The SQL pushdown on real engines: DuckDB embedded, Spark SQL over its Thrift endpoint."""
