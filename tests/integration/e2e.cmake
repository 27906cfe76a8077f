# End to end: planted defects -> collect -> analyse (exact findings); run and demo.
ia_moto_test(e2e)
ia_moto_test(run)
