import streamlit as st

# The element floor: a page of n plain text elements and nothing else (no data, no logic), n from ?n= (bench/run.py
# sets it to the number of elements the app's pages send on average), to tell Streamlit's own cost per element from
# the app's.
n = int(st.query_params.get("n", "50"))
st.title("基线页面")
for i in range(max(0, n - 1)):
    st.markdown(f"第{i + 1}行文字")
