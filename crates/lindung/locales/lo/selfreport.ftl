# Draft: awaits review by a native Lao speaker before use with children. Keys not listed here
# fall back to English.
sr-title = ປົກປ້ອງຮູບພາບຂອງທ່ານ
sr-languages = ພາສາ
sr-sent-title = ສິ່ງທີ່ຖືກສົ່ງ:
sr-sent = ພຽງແຕ່ລາຍນິ້ວມືດິຈິຕອນ (hash) ຂອງແຕ່ລະຮູບ ທີ່ສ້າງຢູ່ໃນອຸປະກອນນີ້ເທົ່ານັ້ນ.
sr-not-sent-title = ສິ່ງທີ່ບໍ່ຖືກສົ່ງ:
sr-not-sent = ຮູບພາບ ແລະ ວິດີໂອຂອງທ່ານເອງ. ພວກມັນບໍ່ອອກຈາກອຸປະກອນນີ້.
sr-case-number = ເລກກໍລະນີ
sr-pin = ລະຫັດ PIN
# A link that leaves at once for a neutral site.
sr-quick-exit = ອອກຈາກເວັບໄຊນີ້ທັນທີ
