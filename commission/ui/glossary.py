"""The words of pay, in plain language: a glossary in the sidebar of every page.

The definitions follow the contract (docs: /work/shared/docs/calculation.md) and
say what each word means for the money a rep is paid; docs/glossary.md holds the
same text for readers outside the app.
"""

from __future__ import annotations

import streamlit as st

GLOSSARY: dict[str, str] = {
    "Attainment": "What you collected in the quota period (month, quarter or year) divided "
                  "by your quota. On a plan with accelerators it decides your rate.",
    "Carry (carried in / carried out)": "What moves from one month to the next instead of "
                                        "being paid: a balance below the minimum payout, or "
                                        "a negative balance recovered from later commission.",
    "Clawback": "Commission paid at invoicing that is taken back when the invoice is written "
                "off. In totals, \"clawbacks\" also counts reversals, credit notes and "
                "penalties: everything taken back.",
    "Draw": "A guaranteed minimum a month: when commission is below it, a top-up brings the "
            "payout up to it. A recoverable draw is carried forward as a negative balance and "
            "taken from later commission.",
    "Forfeited": "Money above the monthly cap (or a negative balance the plan does not carry "
                 "forward): it is not paid now and not later.",
    "Haircut": "The part of a payment's commission lost because the customer paid late: the "
               "plan's schedule says how much by days late.",
    "Override": "A manager's commission on the cash their direct reports collected: the "
                "plan's override rate times each report's cash collected in the batch.",
    "Manual line": "An amount finance adds or takes off by hand, always with a reason.",
    "Penalty": "A charge when an invoice is written off within the plan's window: a share of "
               "the amount written off.",
    "Projected": "Computed from the data so far; it may still change. Only a locked batch is "
                 "what is paid.",
    "Reversal": "A payment that was reversed (a bounced cheque, a refund): the commission it "
                "earned is taken back, at its original rate and haircut.",
    "Still to come": "The commission your open invoices would pay if collected in full today, "
                     "less the haircut already incurred on the late ones.",
}


def render() -> None:
    """The glossary as a sidebar expander (called once a run by the session, every page)."""
    with st.sidebar.expander("Glossary: words of pay", icon=":material/menu_book:"):
        st.markdown("\n".join(f"- **{word}**: {text}" for word, text in GLOSSARY.items()))


def markdown() -> str:
    """The glossary as a Markdown document (docs/glossary.md is this text)."""
    return "# Glossary\n\n" + "\n".join(f"- **{w}**: {t}" for w, t in GLOSSARY.items()) + "\n"
