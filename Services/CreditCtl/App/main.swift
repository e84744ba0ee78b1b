import CreditCtlCore

await CreditCtl.entry()
