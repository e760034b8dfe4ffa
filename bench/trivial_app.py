import streamlit as st
st.title("基线页面")
st.write("一行文字：与被测应用同一次运行中测得的最小 Streamlit 页面。")
