"""The script `dxq dashboard` hands to `streamlit run`, shipped inside the package. It sits alone
in this directory because Streamlit puts the script's directory first on sys.path: beside the
dashboard's modules, their names (format, data, pages…) would shadow any library's."""
