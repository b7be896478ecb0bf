module mailroom/peers/go

go 1.19
