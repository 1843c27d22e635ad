"""Airflow DAGs that run the build jobs as scheduled multi-step builds."""
