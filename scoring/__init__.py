"""Five-good (五好社区) scoring: pure pandas/numpy computations, no Streamlit, no SQL."""
