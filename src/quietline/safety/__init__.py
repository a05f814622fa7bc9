"""Client safety checks that run on message content on the server.

:mod:`quietline.safety.crisis` flags inbound client messages that may express suicidal
intent, self-harm or intent to harm others, so a clinician can be alerted. It is a safety net
built from explainable rules, with a small learned tier behind them
(:mod:`quietline.safety.crisis_model`), not a clinical assessment (see decision 0015).
"""
