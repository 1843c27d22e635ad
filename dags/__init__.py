"""Airflow DAGs that run the build jobs as scheduled multi-step builds.

Install: `pip install 'flamingo-data[airflow]'` in the Airflow environment (or `make airflow-venv`
for a local one), then point Airflow's dags folder at this directory; the DAG files import
`dags.commands`/`dags.factory`, so the repository root must be importable (installed, or on
PYTHONPATH). The DAG files import neither Beam nor torch: the tasks run the `flamingo` CLI, so
only the workers that run tasks need the full project.
"""
