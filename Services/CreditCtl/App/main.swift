import CreditCtlCore

await CreditCtl.main()
