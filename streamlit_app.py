"""dxq dashboard from a clone (`streamlit run streamlit_app.py`, AppTest): the router lives in
dashboard/app.py, and Streamlit reruns this script, so it calls main() each time."""

from dashboard.app import main

main()
