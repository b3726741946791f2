# ruff: noqa: E501  (the former template loop is quoted verbatim, long lines and all)
"""The statement's lines table, written in Python, is byte for byte what the Jinja loop wrote.

The loop below is the template's former body (kept here as the reference); both run
in the statement's own environment on text that needs escaping, negative and
missing amounts, invoices with one line and several, and customers named by id.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from commission.reports.statement import _environment, _escaped, lines_html

#: the template's former loop over customers, invoices and lines (statement.html)
FORMER_LOOP = """{% macro amount(cents) -%}
<td class="num{% if cents is negative %} neg{% endif %}">{{ cents|money }}</td>
{%- endmacro %}
  {% for c in s.customers %}
  <tbody class="customer">
    <tr class="cust-head">
      <td colspan="6">{{ c.name }}{% if c.name != c.customer_id %} <span class="muted">{{ c.customer_id }}</span>{% endif %}</td>
    </tr>
    {% for i in c.invoices %}
    <tr class="inv-head">
      <td colspan="6">
        Invoice <strong>{{ i.invoice_id }}</strong>
        {% if i.invoice_date %} · issued {{ i.invoice_date }} · due {{ i.due_date }} · {{ i.invoice_amount|money }}{% endif %}
        {% if i.share %} · your share {{ i.share }}{% endif %}
      </td>
    </tr>
    {% for l in i.lines %}
    <tr class="line">
      <td class="date">{{ l.date }}</td>
      <td class="event">{{ l.kind }}<div class="muted id">{{ l.event_id }}</div>
        {% if l.prior_period %}<div class="tag">from {{ l.prior_period }}</div>{% endif %}</td>
      <td class="expl">{{ l.explanation }}</td>
      {{ amount(l.gross) }}{{ amount(l.haircut) }}{{ amount(l.amount) }}
    </tr>
    {% endfor %}
    {% if i.lines|length > 1 %}
    <tr class="inv-total">
      <td colspan="3">Invoice {{ i.invoice_id }}</td>
      {{ amount(i.gross) }}{{ amount(i.haircut) }}{{ amount(i.amount) }}
    </tr>
    {% endif %}
    {% endfor %}
    {% if c.invoices|length > 1 %}
    <tr class="cust-total">
      <td colspan="3">{{ c.name }}, {{ c.invoices|length }} invoices</td>
      {{ amount(c.gross) }}{{ amount(c.haircut) }}{{ amount(c.amount) }}
    </tr>
    {% endif %}
  </tbody>
  {% endfor %}
"""


def _line(i: int, **over) -> dict:
    line = {"date": f"2026-10-{i:02d}", "kind": "Payment", "event_id": f"P{i}",
            "explanation": f"5% of 1,000.00 collected <b>{i}</b> & 'so' \"on\"",
            "gross": 5000 * i, "haircut": -25 * i, "amount": 4975 * i, "prior_period": ""}
    return {**line, **over}


def _invoice(iid: str, lines: list[dict], **over) -> dict:
    inv = {"invoice_id": iid, "invoice_date": "2026-09-01", "due_date": "2026-10-01",
           "invoice_amount": 123456789, "share": "", "lines": lines,
           **{k: sum(x[k] or 0 for x in lines) for k in ("gross", "haircut", "amount")}}
    return {**inv, **over}


def _customer(cid: str, name: str, invoices: list[dict]) -> dict:
    return {"customer_id": cid, "name": name, "invoices": invoices,
            **{k: sum(i[k] for i in invoices) for k in ("gross", "haircut", "amount")}}


CUSTOMERS = [
    _customer("C1", "Acme & <Sons> \"Ltd\" 'x'", [
        _invoice("I<1>", [_line(1), _line(2, prior_period="2026-08", gross=-700,
                                           amount=-700, haircut=0)], share="50%"),
        _invoice("I2", [_line(3, kind="Reversal", event_id="R&3")], invoice_date="",
                 due_date="", invoice_amount=None),
    ]),
    _customer("C2", "C2", [_invoice("I3", [_line(4, explanation="")], invoice_amount=-5)]),
    _customer("C3", "", [_invoice("I4", [_line(5), _line(6), _line(7)])]),
]


def test_lines_html_writes_the_bytes_the_jinja_loop_wrote():
    env = _environment()
    former = env.from_string(FORMER_LOOP).render(s={"customers": CUSTOMERS})
    assert str(lines_html(CUSTOMERS)) == former
    assert "&lt;Sons&gt; &#34;Ltd&#34; &#39;x&#39;" in former  # the case is awkward enough


#: what makes the column-at-a-time path step aside: a NUL inside a value (the column is
#: then escaped value by value), an unknown amount (an empty cell), and amounts with
#: several thousands separators on both sides of zero
ODD = [_customer("C9", "Odd\x00Co", [
    _invoice("I9", [_line(1, explanation="a\x00<b>", haircut=None),
                    _line(2, gross=-123456789012, amount=-123456789012, haircut=0,
                          prior_period="2026-\x0007"),
                    _line(3, gross=99999999, amount=100000, haircut=-99899999)]),
])]


def test_lines_html_writes_the_loops_bytes_for_odd_values_too():
    former = _environment().from_string(FORMER_LOOP).render(s={"customers": ODD})
    assert str(lines_html(ODD)) == former
    assert "-1,234,567,890.12" in former and '<td class="num"></td>' in former


@given(st.lists(st.text(alphabet=st.sampled_from("ab<>&'\"\x00 é"), max_size=6), max_size=8))
def test_a_column_escaped_at_once_is_each_value_escaped(values):
    assert _escaped(values) == [str(escape(v)) for v in values]


def test_the_template_writes_the_customers_rows_where_the_loop_stood():
    source = (env := _environment()).loader.get_source(env, "statement.html")[0]
    assert "{{ s.customers|lines_html }}" in source
    rendered = env.from_string("<t>\n{{ s.customers|lines_html }}{# rows #}\n</t>").render(
        s={"customers": CUSTOMERS[2:]})
    assert rendered.startswith('<t>\n  <tbody class="customer">')
    assert rendered.endswith("  </tbody>\n</t>")
