from partnerspace.manage import main

main()
