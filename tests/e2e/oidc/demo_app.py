"""The smallest Streamlit page that signs in with OpenID Connect (``st.login``).

Run it from a folder whose ``.streamlit/secrets.toml`` has an ``[auth]`` section (see
``provider.write_secrets``). Signed out it shows "Sign in" (the default provider, the flat
keys of ``[auth]``) and "Sign in with mockidp" (``[auth.mockidp]``); signed in it shows
the ``email`` claim, the subject and the provider, and a "Sign out" button.
"""

import streamlit as st

st.title("OIDC sign-in spike")

# Without an [auth] section st.user has no "is_logged_in" at all (attribute access would
# raise AttributeError), so read it with .get(): the page then also works unconfigured.
if not st.user.get("is_logged_in", False):
    st.text("Status: signed out")
    if st.button("Sign in"):
        st.login()
    if st.button("Sign in with mockidp"):
        st.login("mockidp")
else:
    st.text(f"Status: signed in as {st.user.get('email')}")
    st.text(f"Subject: {st.user.get('sub')}")
    st.text(f"Provider: {st.user.get('provider')}")
    if st.button("Sign out"):
        st.logout()
