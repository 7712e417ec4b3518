"""The service layer: what the JSON routes and the HTML pages both call (role, scope, validation, the commit before
Temporal). Routes translate HTTP to these calls; pages render their results; neither calls the other."""
