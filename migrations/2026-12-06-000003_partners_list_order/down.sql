DROP INDEX partners_list_order;
