"""Evaluates policy cases with the real oslo.policy, for sahara-policy's fidelity test.

Run with the Python Sahara virtualenv's interpreter:

    python oslo_policy_driver.py cases CASES.json   # evaluate each case, print JSON results
    python oslo_policy_driver.py defaults           # Sahara's registered defaults as JSON
    python oslo_policy_driver.py context CTX.json   # sahara.context.Context(**CTX).to_dict()

A case is a JSON object with "kind":

* "check": parse "rule" (a string, or any JSON value for the list-of-lists parser) and
  enforce the parsed check with named "rules" and "default_rule" in force;
* "enforce": enforce the rule called "name" among "rules";
* "load": Rules.load("text"), then enforce "name".

Each answer is {"parsed": str(check) or null, "result": "true" | "false" | "error:<Class>"}.
"""

import json
import logging
import sys

logging.disable(logging.CRITICAL)

from oslo_config import cfg  # noqa: E402
from oslo_policy import _parser  # noqa: E402
from oslo_policy import policy  # noqa: E402


def error(exc):
    return 'error:' + type(exc).__name__


def make_enforcer():
    conf = cfg.ConfigOpts()
    conf([], project='sahara-policy-fidelity')
    return policy.Enforcer(conf, use_conf=False)


def install(enforcer, rules, default_rule):
    enforcer.default_rule = default_rule
    enforcer.set_rules(rules, overwrite=True, use_conf=False)


def run_case(enforcer, case):
    default_rule = case.get('default_rule')
    target = case.get('target', {})
    creds = case.get('creds', {})
    kind = case['kind']
    parsed = None
    try:
        if kind == 'load':
            rules = policy.Rules.load(case['text'], default_rule)
        else:
            rules = policy.Rules(
                {k: _parser.parse_rule(v) for k, v in case.get('rules', {}).items()}, default_rule
            )
    except Exception as exc:  # noqa: BLE001 - the class is the answer
        return {'parsed': None, 'result': error(exc)}
    install(enforcer, rules, default_rule)
    try:
        if kind == 'check':
            check = _parser.parse_rule(case['rule'])
            parsed = str(check)
            result = enforcer.enforce(check, target, creds)
        else:
            result = enforcer.enforce(case['name'], target, creds)
    except Exception as exc:  # noqa: BLE001
        return {'parsed': parsed, 'result': error(exc)}
    return {'parsed': parsed, 'result': 'true' if result else 'false'}


def cases(path):
    with open(path) as f:
        all_cases = json.load(f)
    enforcer = make_enforcer()
    json.dump([run_case(enforcer, c) for c in all_cases], sys.stdout)


def defaults():
    from sahara.common import policies

    out = []
    for r in policies.list_rules():
        out.append({
            'name': r.name,
            'check_str': r.check_str,
            'description': r.description,
            'operations': getattr(r, 'operations', []) or [],
        })
    json.dump(out, sys.stdout)


def context(path):
    from sahara import main  # noqa: F401 - registers the options Context reads
    from sahara import context as sahara_context

    with open(path) as f:
        args = json.load(f)
    ctx = sahara_context.Context(**args)
    json.dump(ctx.to_dict(), sys.stdout)


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'cases':
        cases(sys.argv[2])
    elif mode == 'defaults':
        defaults()
    elif mode == 'context':
        context(sys.argv[2])
    else:
        sys.exit('unknown mode ' + mode)
